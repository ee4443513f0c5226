-- A bounce arriving from the internet (inbound daemon name) is recorded
-- as an untrusted event and suppresses nothing; inbound mail is never
-- enforced against, even to a suppressed address.
dofile(LIB)

local conn = lib.connect("smtpd")
local r = lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/forged.eml")
-- read to the end of message (not accepted at end of headers), and let through
if r ~= SMFIR_CONTINUE then
	lib.fail("inbound bounce answered " .. lib.reply_name(r) .. ", expected continue at end of message")
end
mt.disconnect(conn)
lib.not_suppressed("victim@forged.example")
lib.expect_cli("show victim@forged.example", 0, "untrusted")

conn = lib.connect("smtpd")
if mt.mailfrom(conn, "<someone@elsewhere.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<ceo@policy.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_CONTINUE, "inbound RCPT TO a suppressed address")
mt.disconnect(conn)

-- Inbound mail that is not a bounce is let go at end of headers: the
-- milter needs neither its body nor its end of message.
conn = lib.connect("smtpd")
r = lib.message(conn, "<someone@elsewhere.example>", {"<sales@sender.example>"},
	FIX .. "/milter/outbound-4Xq2H66ff6z9vK.eml")
if r ~= SMFIR_ACCEPT then
	lib.fail("inbound non-bounce answered " .. lib.reply_name(r) .. ", expected accept at end of headers")
end
mt.disconnect(conn)

-- A multipart/report from a sender that is not null is still read as a bounce.
conn = lib.connect("smtpd")
r = lib.message(conn, "<mailer-daemon@forged.example>", {"<sales@sender.example>"},
	FIX .. "/milter/forged.eml")
if r ~= SMFIR_CONTINUE then
	lib.fail("inbound multipart/report answered " .. lib.reply_name(r) .. ", expected continue at end of message")
end
mt.disconnect(conn)
