-- With LearnInbound no, an inbound connection is let go at connect: the
-- milter answers accept there and the MTA sends it nothing more. The
-- submission path still enforces.
dofile(LIB)

local conn = mt.connect(SOCK, 20, 0.25)
if conn == nil then lib.fail("cannot connect to " .. SOCK) end
if mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "smtpd") ~= nil then lib.fail("mt.macro(connect)") end
if mt.conninfo(conn, "localhost", "127.0.0.1") ~= nil then lib.fail("mt.conninfo") end
lib.expect(conn, SMFIR_ACCEPT, "inbound connect with LearnInbound no")
mt.disconnect(conn)

lib.expect_cli("add blocked@noinbound.example --tag requires-whitelist", 0)
conn = lib.connect("submission")
if mt.mailfrom(conn, "<sales@sender.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<blocked@noinbound.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_REPLYCODE, "RCPT TO a suppressed recipient")
mt.disconnect(conn)
