-- After dropping root for nobody, the milter still learns and enforces:
-- its database (in a directory nobody owns) is written as nobody.
dofile(LIB)

local conn = lib.connect("bouncetag-dsn")
lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/whitelist.eml")
mt.disconnect(conn)
lib.suppressed("ceo@policy.example", '"class":"recipient%-policy"')

conn = lib.connect("submission")
if mt.mailfrom(conn, "<sales@sender.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<ceo@policy.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_REPLYCODE, "RCPT TO a suppressed recipient as nobody")
mt.disconnect(conn)
