-- The database is deleted under the running milter (an operator's rm, a
-- restore gone wrong). The milter must not go on writing into the deleted
-- file: the next DSN is recorded in a new database at the configured path,
-- where the CLI (and Postfix, and everyone else) will find it.
dofile(LIB)

local function learn(rcpt)
	local file = TMP .. "/deleted-" .. rcpt .. ".eml"
	local f = io.open(FIX .. "/milter/whitelist.eml", "rb"); local data = f:read("a"); f:close()
	data = data:gsub("ceo@policy%.example", rcpt)
	f = io.open(file, "wb"); f:write(data); f:close()
	local conn = lib.connect("bouncetag-dsn")
	local r = lib.message(conn, "<>", {"<sales@sender.example>"}, file)
	if r ~= SMFIR_CONTINUE and r ~= SMFIR_ACCEPT then
		lib.fail("DSN answered " .. lib.reply_name(r))
	end
	mt.disconnect(conn)
end

learn("before@deleted.example")
lib.suppressed("before@deleted.example", '"class":"recipient%-policy"')
os.execute("rm -f '" .. DB .. "' '" .. DB .. "-wal' '" .. DB .. "-shm'")
learn("after@deleted.example")
lib.suppressed("after@deleted.example", '"class":"recipient%-policy"')
