-- Run against a milter whose database directory does not exist yet
-- (run.sh creates it midway through via MKSTORE). While the store is
-- down: a DSN is tempfailed (Postfix keeps it and retries; nothing is
-- lost), and enforcement fails open (StoreFailMode accept). Once the
-- store is back the retried DSN is learned, exactly once.
dofile(LIB)

local conn = lib.connect("bouncetag-dsn")
local r = lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/whitelist.eml")
lib.expect(conn, SMFIR_REPLYCODE, "DSN while the store is down")
-- (miltertest only accepts the three-argument form of this check)
if not mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0", "bouncetag: result store unavailable") then
	lib.fail("DSN while the store is down: expected a 451 4.3.0 tempfail")
end
mt.disconnect(conn)

conn = lib.connect("submission")
if mt.mailfrom(conn, "<sales@sender.example>") ~= nil then lib.fail("mailfrom") end
if mt.rcptto(conn, "<ceo@policy.example>") ~= nil then lib.fail("rcptto") end
lib.expect(conn, SMFIR_CONTINUE, "RCPT TO while the store is down (fail open)")
mt.disconnect(conn)

os.execute(MKSTORE)
for _ = 1, 2 do -- Postfix retries; the second delivery must not double-count
	conn = lib.connect("bouncetag-dsn")
	r = lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/whitelist.eml")
	if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
		lib.fail("retried DSN answered " .. lib.reply_name(r))
	end
	mt.disconnect(conn)
end
lib.suppressed("ceo@policy.example", '"class":"recipient%-policy"')
lib.expect_cli("show --json ceo@policy.example", 0, '"hits":1,')
