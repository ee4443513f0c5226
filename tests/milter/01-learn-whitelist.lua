-- A Postfix DSN for "554 5.7.1 ... not on approved sender list" from the
-- DSN cleanup is learned: the recipient is suppressed as recipient-policy,
-- and the DSN itself goes on (it is never rejected or discarded).
dofile(LIB)

lib.not_suppressed("ceo@policy.example")
local conn = lib.connect("bouncetag-dsn")
local r = lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/whitelist.eml")
if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
	lib.fail("DSN answered " .. lib.reply_name(r))
end
mt.disconnect(conn)

lib.suppressed("ceo@policy.example", '"class":"recipient%-policy"')
lib.expect_cli("show ceo@policy.example", 0, "not on approved sender list")

-- Exchange 5.7.129 with a folded Diagnostic-Code: unfolded, recipient-policy.
conn = lib.connect("bouncetag-dsn")
lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/exchange-129.eml")
mt.disconnect(conn)
lib.suppressed("board@internal.example", '"class":"recipient%-policy"')
lib.expect_cli("show --json board@internal.example", 0, "not authorized to send to recipient because")
