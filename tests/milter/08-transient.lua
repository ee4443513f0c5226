-- A greylisting delay DSN is recorded as transient and suppresses nothing;
-- mailbox-full delays suppress only when TransientThreshold (2 in run.sh)
-- different failures arrive.
dofile(LIB)

local conn = lib.connect("bouncetag-dsn")
lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/greylist.eml")
mt.disconnect(conn)
lib.not_suppressed("grey@greylist.example")
lib.expect_cli("show grey@greylist.example", 0, "transient")

conn = lib.connect("bouncetag-dsn")
lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/mailbox-full-1.eml")
mt.disconnect(conn)
lib.not_suppressed("full@quota.example")
conn = lib.connect("bouncetag-dsn")
lib.message(conn, "<>", {"<sales@sender.example>"}, FIX .. "/milter/mailbox-full-2.eml")
mt.disconnect(conn)
lib.suppressed("full@quota.example", '"class":"recipient%-transient"')
