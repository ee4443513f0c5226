-- Postfix's postmaster copy of a DSN (same report, sent again to
-- postmaster from double-bounce) is not counted twice.
dofile(LIB)

for _, rcpt in ipairs({"<sales@sender.example>", "<postmaster@sender.example>"}) do
	local conn = lib.connect("bouncetag-dsn")
	lib.message(conn, "<>", {rcpt}, FIX .. "/milter/whitelist.eml")
	mt.disconnect(conn)
end
-- 01 learned this DSN already: still one hit, one event.
lib.expect_cli("show --json ceo@policy.example", 0, '"hits":1,')
local out = lib.cli("show ceo@policy.example")
local _, events = out:gsub("\n  %d%d%d%d%-", "")
if events ~= 1 then
	lib.fail("expected 1 event for ceo@policy.example, found " .. events .. ":\n" .. out)
end
