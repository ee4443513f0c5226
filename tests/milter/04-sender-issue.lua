-- A DSN for a Spamhaus listing of our own IP is recorded as sender-issue
-- and suppresses nobody: the next message to that recipient goes through.
dofile(LIB)

local conn = lib.connect("bouncetag-dsn")
lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/spamhaus.eml")
mt.disconnect(conn)
lib.not_suppressed("buyer@reputation.example")
lib.expect_cli("show buyer@reputation.example", 0, "sender%-issue")

conn = lib.connect("submission")
if mt.mailfrom(conn, "<sales@sender.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<buyer@reputation.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_CONTINUE, "RCPT TO a sender-issue recipient")
mt.disconnect(conn)
lib.expect_cli("stats", 0, "reputation.example")
