/*
 * class - the six result classes (a contract, see DESIGN.md) and their names.
 *
 * Synopsis:
 *	enum bt_class c;
 *	if (class_parse("recipient-policy", &c) == 0) puts(class_name(c));
 *
 * Description:
 *	class_name() returns the contract spelling ("recipient-policy", ...).
 *	class_parse() accepts exactly those spellings and returns 0, or -1 for
 *	anything else. class_suppresses() tells whether a class can create a
 *	suppression at all (recipient-policy, recipient-invalid and, after
 *	repeated failures, recipient-transient).
 */
#ifndef BT_CLASS_H
#define BT_CLASS_H

enum bt_class {
	BT_CLASS_UNCLASSIFIED = 0,
	BT_CLASS_RECIPIENT_POLICY,
	BT_CLASS_SENDER_ISSUE,
	BT_CLASS_RECIPIENT_INVALID,
	BT_CLASS_RECIPIENT_TRANSIENT,
	BT_CLASS_TRANSIENT,
	BT_CLASS_COUNT
};

const char *class_name(enum bt_class c);
int class_parse(const char *name, enum bt_class *out);
int class_suppresses(enum bt_class c);

#endif
