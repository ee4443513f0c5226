/*
 * admin - the verbs that change the store: release and add. Both are
 * recorded as events (nothing is deleted), with who did it.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"

/* Who is acting: --by, else $SUDO_USER, else the login name of the uid. */
static const char *admin_who(const char *by)
{
	const char *s = getenv("SUDO_USER");
	struct passwd *pw;

	if (by)
		return by;
	if (s && *s)
		return s;
	pw = getpwuid(getuid());
	return pw ? pw->pw_name : "unknown";
}

int cmd_release(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"why", required_argument, NULL, 'w'},
		{"by", required_argument, NULL, 'b'},
		{"config", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	const char *why = NULL, *by = NULL;
	char addr[ADDR_MAX];
	struct store *st;
	int opt, rc;

	argv = cli_shield_addresses(&argc, argv);
	while ((opt = cli_getopt(c, argc, argv, "w:b:c:", opts, NULL)) != -1) {
		if (opt == 'w')
			why = optarg;
		else if (opt == 'b')
			by = optarg;
		else
			return cli_usage("release");
	}
	if (optind + 1 != argc || why == NULL || *why == 0) {
		if (optind + 1 == argc)
			fprintf(stderr, "bouncetag: release needs --why TEXT (it is recorded)\n");
		return cli_usage("release");
	}
	if (addr_normalise(argv[optind], addr, sizeof(addr)) < 0) {
		fprintf(stderr, "bouncetag: '%s' is not an email address\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (cli_store(c, 0, &st) < 0)
		return 1;
	rc = store_release(st, addr, admin_who(by), why, time(NULL));
	if (rc == STORE_ERR)
		fprintf(stderr, "bouncetag: %s\n", store_error(st));
	else if (rc == STORE_NOTFOUND)
		fprintf(stderr, "bouncetag: %s is not suppressed\n", addr);
	else
		printf("%s released\n", addr);
	store_close(st);
	return rc == STORE_OK ? 0 : 1;
}

int cmd_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"tag", required_argument, NULL, 't'},   {"class", required_argument, NULL, 'k'},
		{"reason", required_argument, NULL, 'r'}, {"for", required_argument, NULL, 'f'},
		{"by", required_argument, NULL, 'b'},     {"config", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	const char *tag = NULL, *reason = NULL, *by = NULL;
	enum bt_class cls = BT_CLASS_RECIPIENT_POLICY;
	long lifetime = 0;
	char addr[ADDR_MAX];
	struct store *st;
	time_t now = time(NULL);
	int opt, rc;

	argv = cli_shield_addresses(&argc, argv);
	while ((opt = cli_getopt(c, argc, argv, "t:k:r:f:b:c:", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			tag = optarg;
			break;
		case 'k':
			if (class_parse(optarg, &cls) < 0 || !class_suppresses(cls)) {
				fprintf(stderr, "bouncetag: --class '%s': expected recipient-policy, "
						"recipient-invalid or recipient-transient\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			reason = optarg;
			break;
		case 'f':
			if (config_parse_duration(optarg, &lifetime) < 0) {
				fprintf(stderr, "bouncetag: --for '%s': expected an age such as 90d "
						"(0 = never expires)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'b':
			by = optarg;
			break;
		default:
			return cli_usage("add");
		}
	}
	if (optind + 1 != argc || tag == NULL || *tag == 0)
		return cli_usage("add");
	if (addr_normalise(argv[optind], addr, sizeof(addr)) < 0) {
		fprintf(stderr, "bouncetag: '%s' is not an email address\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (cli_store(c, 0, &st) < 0)
		return 1;
	rc = store_add(st, addr, tag, cls, reason ? reason : tag, admin_who(by),
		       lifetime ? now + lifetime : 0, now);
	if (rc == STORE_ERR)
		fprintf(stderr, "bouncetag: %s\n", store_error(st));
	else
		printf("%s suppressed (%s, %s)\n", addr, tag, class_name(cls));
	store_close(st);
	return rc == STORE_OK ? 0 : 1;
}
