-- A bounce arriving from the internet (inbound daemon name) is recorded
-- as an untrusted event and suppresses nothing; inbound mail is never
-- enforced against, even to a suppressed address.
dofile(LIB)

local conn = lib.connect("smtpd")
local r = lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/forged.eml")
if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
	lib.fail("inbound bounce answered " .. lib.reply_name(r))
end
mt.disconnect(conn)
lib.not_suppressed("victim@forged.example")
lib.expect_cli("show victim@forged.example", 0, "untrusted")

conn = lib.connect("smtpd")
if mt.mailfrom(conn, "<someone@elsewhere.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<ceo@policy.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_CONTINUE, "inbound RCPT TO a suppressed address")
mt.disconnect(conn)
