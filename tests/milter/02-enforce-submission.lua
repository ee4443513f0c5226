-- On the submission daemon name, RCPT TO a suppressed recipient gets
-- 550 5.7.1 (a custom reply); other recipients of the same message go on.
dofile(LIB)

lib.expect_cli("add blocked@submission.example --tag requires-whitelist", 0)
local conn = lib.connect("submission")
if mt.mailfrom(conn, "<sales@sender.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<Blocked@Submission.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_REPLYCODE, "RCPT TO a suppressed recipient")
if mt.rcptto(conn, "<fine@submission.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_CONTINUE, "RCPT TO a recipient that is not suppressed")
mt.disconnect(conn)

-- After a release the same recipient goes through, and the release is recorded.
lib.expect_cli("release blocked@submission.example --why 'whitelisted us, ticket 42' --by test", 0)
conn = lib.connect("submission")
if mt.mailfrom(conn, "<sales@sender.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<blocked@submission.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_CONTINUE, "RCPT TO a released recipient")
mt.disconnect(conn)
lib.expect_cli("show blocked@submission.example", 0, "whitelisted us, ticket 42")

-- A whole submitted message is recorded as sent and accepted at end of
-- headers, so that the MTA sends neither its body nor its end of message
-- (10-forged-bounce-defence shows the record is there).
lib.message_answers("submission", "<sales@sender.example>", {"<fine@submission.example>"},
	FIX .. "/milter/outbound-4Xq2H66ff6z9vK.eml", SMFIR_ACCEPT, "submitted message", {SMFIR_CONTINUE})
