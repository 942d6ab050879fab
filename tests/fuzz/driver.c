/*
 * driver.c - replays a fuzz corpus through a target without libFuzzer,
 * so every corpus runs as a regression test in make test.
 *
 *   NAME_regress DIR|FILE...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Corpus files larger than this are a mistake, not an input. */
#define DRIVER_FILE_MAX (8 * 1024 * 1024)

static int
run_file(const char *path)
{
	FILE		*f = fopen(path, "rb");
	unsigned char	*buf;
	long		 n;

	if (f == NULL) {
		fprintf(stderr, "could not open %s\n", path);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n < 0 || n > DRIVER_FILE_MAX) {
		fclose(f);
		fprintf(stderr, "%s: bad size\n", path);
		return 1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		fprintf(stderr, "%s: read failed\n", path);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int files = 0, bad = 0;

	for (int i = 1; i < argc; i++) {
		struct stat	 st;
		DIR		*d;
		struct dirent	*e;
		char		 path[4096];

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "no such corpus %s\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad += run_file(argv[i]);
			files++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL)
			return 1;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    e->d_name);
			bad += run_file(path);
			files++;
		}
		closedir(d);
	}
	printf("replayed %d inputs\n", files);
	return bad != 0 || files == 0;
}
