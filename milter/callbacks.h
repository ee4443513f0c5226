/*
 * callbacks.h - the libmilter registration description (callbacks.c).
 */
#ifndef BT_CALLBACKS_H
#define BT_CALLBACKS_H

#include <libmilter/mfapi.h>

extern struct smfiDesc callbacks_desc;

#endif
