-- lib.lua - helpers shared by the miltertest scenarios (run by run.sh).
--
-- Globals set by run.sh with -D: SOCK (the milter socket), CLI (the
-- bouncetag command with its --config), FIX (tests/fixtures).
-- Every helper raises an error on failure, so a scenario stops at the
-- first broken expectation and miltertest exits non-zero.

lib = {}

-- miltertest does not print a script's error text, so say it first.
function lib.fail(msg)
	mt.echo("FAIL: " .. msg)
	error("FAIL: " .. msg, 2)
end

-- Connect, negotiate and announce a client as the given {daemon_name}.
function lib.connect(daemon_name)
	local conn = mt.connect(SOCK, 20, 0.25)
	if conn == nil then
		lib.fail("cannot connect to " .. SOCK)
	end
	if mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", daemon_name, "j", "mail.sender.example") ~= nil then
		lib.fail("mt.macro(connect)")
	end
	if mt.conninfo(conn, "localhost", "127.0.0.1") ~= nil then
		lib.fail("mt.conninfo")
	end
	lib.expect(conn, SMFIR_CONTINUE, "connect as " .. daemon_name)
	return conn
end

function lib.reply_name(r)
	local names = {
		[SMFIR_CONTINUE] = "continue", [SMFIR_ACCEPT] = "accept", [SMFIR_REJECT] = "reject",
		[SMFIR_TEMPFAIL] = "tempfail", [SMFIR_DISCARD] = "discard", [SMFIR_REPLYCODE] = "replycode",
	}
	return names[r] or tostring(r)
end

function lib.expect(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		lib.fail(what .. ": milter answered " .. lib.reply_name(got) .. ", expected " .. lib.reply_name(want))
	end
end

-- Send the headers and body of a message file (LF line ends) after MAIL/RCPT.
-- Returns SMFIR_ACCEPT when the milter accepted the message at end of
-- headers (the body is then not sent, as an MTA would not send it).
function lib.send_file(conn, path)
	local f = io.open(path, "rb")
	if f == nil then
		lib.fail("cannot open " .. path)
	end
	local data = f:read("a")
	f:close()
	local head, body = data:match("^(.-)\n\n(.*)$")
	if head == nil then
		head, body = data, ""
	end
	local name, value
	local function flush()
		if name ~= nil then
			if mt.header(conn, name, value) ~= nil then
				lib.fail("mt.header " .. name)
			end
		end
	end
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and name ~= nil then
			value = value .. "\n" .. line
		else
			flush()
			name, value = line:match("^([^:]+):[ \t]*(.*)$")
		end
	end
	flush()
	if mt.eoh(conn) ~= nil then
		lib.fail("mt.eoh")
	end
	-- a message whose body the milter does not need is accepted here
	if mt.getreply(conn) == SMFIR_ACCEPT then
		return SMFIR_ACCEPT
	end
	body = body:gsub("\n", "\r\n")
	-- in chunks, as an MTA sends them
	for i = 1, #body, 4096 do
		if mt.bodystring(conn, body:sub(i, i + 4095)) ~= nil then
			lib.fail("mt.bodystring")
		end
	end
end

-- One message: MAIL FROM, RCPT TO each of rcpts (checking the reply to
-- each against rcpt_replies[i] when given), headers and body of file, EOM.
-- Returns the EOM reply.
function lib.message(conn, from, rcpts, file, rcpt_replies)
	if mt.macro(conn, SMFIC_MAIL, "i", "TESTQUEUEID") ~= nil then
		lib.fail("mt.macro(mail)")
	end
	if mt.mailfrom(conn, from) ~= nil then
		lib.fail("mt.mailfrom")
	end
	for i, r in ipairs(rcpts) do
		if mt.rcptto(conn, r) ~= nil then
			lib.fail("mt.rcptto " .. r)
		end
		if rcpt_replies and rcpt_replies[i] then
			lib.expect(conn, rcpt_replies[i], "RCPT TO " .. r)
		end
	end
	if lib.send_file(conn, file) == SMFIR_ACCEPT then
		return SMFIR_ACCEPT
	end
	if mt.eom(conn) ~= nil then
		lib.fail("mt.eom")
	end
	return mt.getreply(conn)
end

-- A connection as daemon_name with one message (see lib.message), whose
-- final answer must be want: SMFIR_ACCEPT at end of headers, or another
-- answer at end of message. what names the message in the failure.
function lib.message_answers(daemon_name, from, rcpts, file, want, what, rcpt_replies)
	local conn = lib.connect(daemon_name)
	local r = lib.message(conn, from, rcpts, file, rcpt_replies)
	if r ~= want then
		local at = want == SMFIR_ACCEPT and "end of headers" or "end of message"
		lib.fail(what .. " answered " .. lib.reply_name(r) .. ", expected " .. lib.reply_name(want) .. " at " .. at)
	end
	mt.disconnect(conn)
end

-- Run the bouncetag command; returns its output and exit code.
function lib.cli(args)
	local p = io.popen(CLI .. " " .. args .. " 2>&1; echo \"exit=$?\"")
	local out = p:read("a")
	p:close()
	local code = tonumber(out:match("exit=(%d+)%s*$"))
	out = out:gsub("exit=%d+%s*$", "")
	return out, code
end

function lib.expect_cli(args, want_code, pattern)
	local out, code = lib.cli(args)
	if code ~= want_code then
		lib.fail("bouncetag " .. args .. ": exit " .. tostring(code) .. ", expected " .. want_code .. "\n" .. out)
	end
	if pattern and not out:find(pattern) then
		lib.fail("bouncetag " .. args .. ": output lacks '" .. pattern .. "':\n" .. out)
	end
	return out
end

function lib.suppressed(addr, pattern)
	return lib.expect_cli("check --json " .. addr, 0, pattern)
end

function lib.not_suppressed(addr)
	return lib.expect_cli("check --json " .. addr, 1, '"suppressed":false')
end

return lib
