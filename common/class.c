/*
 * class - names of the result classes. See class.h.
 */
#include <string.h>

#include "class.h"

static const char *const class_names[BT_CLASS_COUNT] = {
    [BT_CLASS_UNCLASSIFIED] = "unclassified",
    [BT_CLASS_RECIPIENT_POLICY] = "recipient-policy",
    [BT_CLASS_SENDER_ISSUE] = "sender-issue",
    [BT_CLASS_RECIPIENT_INVALID] = "recipient-invalid",
    [BT_CLASS_RECIPIENT_TRANSIENT] = "recipient-transient",
    [BT_CLASS_TRANSIENT] = "transient",
};

const char *class_name(enum bt_class c)
{
	if ((unsigned)c >= BT_CLASS_COUNT)
		return "unclassified";
	return class_names[c];
}

int class_parse(const char *name, enum bt_class *out)
{
	for (int i = 0; i < BT_CLASS_COUNT; i++) {
		if (strcmp(name, class_names[i]) == 0) {
			*out = (enum bt_class)i;
			return 0;
		}
	}
	return -1;
}

int class_suppresses(enum bt_class c)
{
	return c == BT_CLASS_RECIPIENT_POLICY || c == BT_CLASS_RECIPIENT_INVALID ||
	       c == BT_CLASS_RECIPIENT_TRANSIENT;
}
