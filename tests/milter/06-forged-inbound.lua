-- A bounce arriving from the internet (inbound daemon name) is recorded
-- as an untrusted event and suppresses nothing; inbound mail is never
-- enforced against, even to a suppressed address.
dofile(LIB)

-- read to the end of message (not accepted at end of headers), and let through
lib.message_answers("smtpd", "<>", {"<sales@sender.example>"}, FIX .. "/milter/forged.eml",
	SMFIR_CONTINUE, "inbound bounce")
lib.not_suppressed("victim@forged.example")
lib.expect_cli("show victim@forged.example", 0, "untrusted")

local conn = lib.connect("smtpd")
if mt.mailfrom(conn, "<someone@elsewhere.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<ceo@policy.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_CONTINUE, "inbound RCPT TO a suppressed address")
mt.disconnect(conn)

-- Inbound mail that is not a bounce is let go at end of headers: the
-- milter needs neither its body nor its end of message.
lib.message_answers("smtpd", "<someone@elsewhere.example>", {"<sales@sender.example>"},
	FIX .. "/milter/outbound-4Xq2H66ff6z9vK.eml", SMFIR_ACCEPT, "inbound non-bounce")

-- A multipart/report from a sender that is not null is still read as a bounce.
lib.message_answers("smtpd", "<mailer-daemon@forged.example>", {"<sales@sender.example>"},
	FIX .. "/milter/forged.eml", SMFIR_CONTINUE, "inbound multipart/report")
