-- A forged bounce from the internet naming 150 recipients: every result is
-- untrusted, and only the first MaxUntrustedPerMessage (100 by default) are
-- recorded, so a forgery cannot turn into an unbounded number of rows. The
-- message itself passes, and nothing is suppressed.
dofile(LIB)

local f = io.open(FIX .. "/milter/forged.eml", "rb")
local data = f:read("a")
f:close()
local block = data:match("(Final%-Recipient: rfc822; victim@forged%.example\n.-\n)\n")
if block == nil then lib.fail("forged.eml has no recipient block") end
local blocks = {}
for i = 1, 150 do
	blocks[#blocks + 1] = (block:gsub("victim@forged%.example", "flood-" .. i .. "@forged.example"))
end
local flood = data:gsub("Final%-Recipient: rfc822; victim@forged%.example\n.-\n\n",
	function() return table.concat(blocks, "\n") .. "\n" end, 1)
local path = TMP .. "/flood.eml"
f = io.open(path, "wb")
f:write(flood)
f:close()

local conn = lib.connect("smtpd")
local r = lib.message(conn, "<>", {"<sales@sender.example>"}, path)
if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
	lib.fail("inbound bounce answered " .. lib.reply_name(r))
end
mt.disconnect(conn)
lib.expect_cli("show flood-1@forged.example", 0, "untrusted")
lib.expect_cli("show flood-100@forged.example", 0, "untrusted")
for _, a in ipairs({"flood-101@forged.example", "flood-150@forged.example"}) do
	if lib.expect_cli("show " .. a, 0):find("untrusted") then
		lib.fail(a .. " was recorded, beyond the limit of 100")
	end
end
lib.not_suppressed("flood-1@forged.example")
