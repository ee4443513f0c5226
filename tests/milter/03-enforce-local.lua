-- On the non-SMTP (pickup) daemon name a suppressed recipient cannot be
-- refused at RCPT: it is removed at end of message, the other recipient
-- stays, and the removal is recorded as "withheld".
dofile(LIB)

lib.expect_cli("add gone@local.example --tag requires-whitelist", 0)
local conn = lib.connect("bouncetag-local")
local r = lib.message(conn, "<sales@sender.example>", {"<gone@local.example>", "<stays@local.example>"},
	FIX .. "/milter/whitelist.eml", {SMFIR_CONTINUE, SMFIR_CONTINUE})
if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
	lib.fail("EOM answered " .. lib.reply_name(r))
end
if not mt.eom_check(conn, MT_RCPTDELETE, "<gone@local.example>") then
	lib.fail("the suppressed recipient was not removed")
end
if mt.eom_check(conn, MT_RCPTDELETE, "<stays@local.example>") then
	lib.fail("a recipient that is not suppressed was removed")
end
mt.disconnect(conn)
-- the withheld event carries the class and tag of the suppression behind it
lib.expect_cli("show --json gone@local.example", 0,
	'"action":"withheld"[^}]*"class":"recipient%-policy","reason":"requires%-whitelist"')

-- When every recipient is suppressed the message is refused (pickup's
-- cleanup then bounces it to the sender with this text) rather than left
-- with no recipient, which Postfix would drop without a word.
conn = lib.connect("bouncetag-local")
r = lib.message(conn, "<sales@sender.example>", {"<gone@local.example>"},
	FIX .. "/milter/whitelist.eml", {SMFIR_CONTINUE})
local text = "recipient suppressed by bouncetag (requires-whitelist since " ..
	os.date("!%Y-%m-%d") .. "); contact postmaster to release"
if not mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", text) then
	lib.fail("a message to suppressed recipients only was not refused with 550 5.7.1 " .. text)
end
if mt.eom_check(conn, MT_RCPTDELETE, "<gone@local.example>") then
	lib.fail("the refused message also had its recipient removed")
end
mt.disconnect(conn)
