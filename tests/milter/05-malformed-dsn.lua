-- A DSN that is broken in every way (unclosed multipart, bad base64, empty
-- recipient, impossible status) is never rejected, discarded or held.
dofile(LIB)

local conn = lib.connect("bouncetag-dsn")
local r = lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/malformed.eml")
if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
	lib.fail("malformed DSN answered " .. lib.reply_name(r))
end
mt.disconnect(conn)

-- A DSN-cleanup message that is no report at all passes too.
conn = lib.connect("bouncetag-dsn")
r = lib.message(conn, "<>", {"<postmaster@sender.example>"}, FIX .. "/milter/README")
if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
	lib.fail("non-report answered " .. lib.reply_name(r))
end
mt.disconnect(conn)
