-- A bounce from the internet counts only when it returns a Message-ID we
-- sent to that very recipient within TrustWindow (5s in run.sh): then it
-- is trusted and suppresses. A bounce for a recipient we never wrote to,
-- one naming another recipient of a message we did send, and a replay
-- after the window stay untrusted events and suppress nothing.
dofile(LIB)

local function send(file, rcpts)
	local conn = lib.connect("submission")
	local r = lib.message(conn, "<sales@sender.example>", rcpts, FIX .. "/milter/" .. file)
	if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
		lib.fail("outbound message answered " .. lib.reply_name(r))
	end
	mt.disconnect(conn)
end

local function inbound_bounce(file)
	local conn = lib.connect("smtpd")
	local r = lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/" .. file)
	if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
		lib.fail("inbound bounce answered " .. lib.reply_name(r))
	end
	mt.disconnect(conn)
end

-- we send message 4Xq2J77gg7z9vK to late@ first, so that its bounce comes too late
send("outbound-4Xq2J77gg7z9vK.eml", {"<late@match.example>"})
mt.sleep(6)
-- we send message 4Xq2H66ff6z9vK to trusted@ (not to other@)
send("outbound-4Xq2H66ff6z9vK.eml", {"<trusted@match.example>"})

inbound_bounce("inbound-matched.eml")
lib.suppressed("trusted@match.example", '"class":"recipient%-policy"')

inbound_bounce("inbound-other-rcpt.eml")
lib.not_suppressed("other@match.example")
lib.expect_cli("show other@match.example", 0, "untrusted")

inbound_bounce("inbound-replay.eml")
lib.not_suppressed("late@match.example")
lib.expect_cli("show late@match.example", 0, "untrusted")

-- and the plain forgery of 06 (a recipient we never wrote to) stays untrusted
lib.not_suppressed("victim@forged.example")
