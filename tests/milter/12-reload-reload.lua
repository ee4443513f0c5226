-- SIGUSR1 and SIGHUP reload rules and config (SIGHUP would stop a plain
-- libmilter filter: milter/sighup.c). A broken rules file keeps the old rules
-- in force and logs FILE:LINE; a good one is swapped in atomically: a
-- connection opened before the reload keeps the rules it started with,
-- a new connection gets the new ones. (run.sh gives this milter its own
-- rules file, RULES, and passes its PID and LOG.)
dofile(LIB)

local function copy_with(src, dst, from, to)
	local f = io.open(src, "rb"); local data = f:read("a"); f:close()
	data = data:gsub(from, to)
	f = io.open(dst, "wb"); f:write(data); f:close()
end

local function log_count(pattern)
	local f = io.open(LOG, "rb"); local data = f:read("a"); f:close()
	local _, n = data:gsub(pattern, "")
	return n
end

local function log_has(pattern)
	return log_count(pattern) > 0
end

-- Signal, then wait (up to 10 s) until the milter logged the outcome.
local function outcomes()
	return log_count("milter: reloaded ") + log_count("error: reload failed")
end

local function reload(sig)
	local before = outcomes()
	os.execute("kill -" .. sig .. " " .. PID)
	for _ = 1, 100 do
		if outcomes() > before then return end
		mt.sleep(0.1)
	end
	lib.fail("no reload outcome logged within 10 s")
end

local original = io.open(RULES, "rb"):read("a")
local function learn(conn, rcpt)
	local file = TMP .. "/" .. rcpt .. ".eml"
	copy_with(FIX .. "/milter/whitelist.eml", file, "ceo@policy%.example", rcpt)
	lib.message(conn, "<>", {"<sales@sender.example>"}, file)
end

-- 1. a broken rules file: logged with file and line, old rules stay
local f = io.open(RULES, "wb")
f:write(original .. "\n[broken.rule]\nclass = recipent-policy\nreason = x\npattern = x\nexample = 550 x\n")
f:close()
reload("USR1")
if not log_has("reload failed.-reload%-rules%.conf:%d+: unknown class 'recipent%-policy'") then
	lib.fail("the broken rules file was not reported with file and line")
end
local conn = lib.connect("bouncetag-dsn")
learn(conn, "still-old@reload.example")
mt.disconnect(conn)
lib.suppressed("still-old@reload.example", '"class":"recipient%-policy"')

-- 2. a connection opened now keeps the rules in force now
local early = lib.connect("bouncetag-dsn")

-- 3. new rules: the whitelist text becomes (say) sender-issue
f = io.open(RULES, "wb")
f:write("[test.reload]\nclass = sender-issue\nreason = reloaded\npattern = approved sender list\nexample = 554 5.7.1 not on approved sender list\n\n" .. original)
f:close()
reload("HUP")
if not log_has("SIGHUP: reloading") or not log_has("reloaded") then
	lib.fail("no 'SIGHUP: reloading' and 'reloaded' log lines")
end

local late = lib.connect("bouncetag-dsn")
learn(late, "new-rules@reload.example")
mt.disconnect(late)
lib.not_suppressed("new-rules@reload.example")
lib.expect_cli("show new-rules@reload.example", 0, "reloaded")

learn(early, "old-rules@reload.example")
mt.disconnect(early)
lib.suppressed("old-rules@reload.example", '"class":"recipient%-policy"')

-- the milter is still there after SIGHUP, with the new rules (run.sh checks
-- that it stops cleanly on SIGTERM)
conn = lib.connect("bouncetag-dsn")
learn(conn, "after-hup@reload.example")
mt.disconnect(conn)
lib.expect_cli("show after-hup@reload.example", 0, "reloaded")

f = io.open(RULES, "wb"); f:write(original); f:close()
