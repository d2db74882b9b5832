/* cmd_convert.c -- `emb convert INPUT OUTPUT`: between word2vec text,
 * word2vec binary and NumPy .npy (+ vocabulary file).
 *
 * A thin front end over emb_vecs_load / emb_vecs_save: formats come from
 * the file names unless --from/--to say otherwise, and the output is
 * written atomically, so converting a file onto itself is safe. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "emb/vecs.h"

static const char *CONVERT_USAGE =
    "usage: emb convert INPUT OUTPUT [options]\n"
    "\n"
    "Convert word vectors between formats. The formats follow the extensions:\n"
    ".bin word2vec binary, .npy NumPy float32 matrix with the words in a separate\n"
    "file (one per line, default: the .npy name with .vocab), anything else\n"
    "word2vec text. Input may be gzip-compressed; an input with an unknown\n"
    "extension is recognised by its content. \"-\" is stdin/stdout (text).\n"
    "\n"
    "options:\n"
    "  --from text|bin|npy   input format (default: from INPUT)\n"
    "  --to text|bin|npy     output format (default: from OUTPUT)\n"
    "  --vocab FILE          vocabulary of an .npy INPUT\n"
    "  --out-vocab FILE      vocabulary to write with an .npy OUTPUT\n"
    "  --limit N             keep only the first N vectors (0 = all)\n"
    "  --normalize           scale every vector to unit length\n"
    "  --quiet               no summary line on stderr\n"
    "  --json                print {\"input\",\"output\",\"count\",\"dim\"} on stdout\n"
    "\n"
    "example:\n"
    "  emb convert GoogleNews-vectors-negative300.bin.gz vectors.npy --limit 100000\n";

enum { OPT_FROM = 256, OPT_TO, OPT_VOCAB, OPT_OUT_VOCAB, OPT_LIMIT, OPT_NORMALIZE, OPT_QUIET, OPT_JSON, OPT_HELP };

static const struct option convert_options[] = {
    {"from", required_argument, 0, OPT_FROM},
    {"to", required_argument, 0, OPT_TO},
    {"vocab", required_argument, 0, OPT_VOCAB},
    {"out-vocab", required_argument, 0, OPT_OUT_VOCAB},
    {"limit", required_argument, 0, OPT_LIMIT},
    {"normalize", no_argument, 0, OPT_NORMALIZE},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"json", no_argument, 0, OPT_JSON},
    {"help", no_argument, 0, OPT_HELP},
    {0, 0, 0, 0},
};

int cmd_convert(int argc, char **argv) {
    const char *cmd = "convert";
    const char *vocab_in = NULL, *vocab_out = NULL;
    enum emb_vec_format from = EMB_FMT_AUTO, to = EMB_FMT_AUTO;
    long long limit = 0;
    int normalize = 0, quiet = 0, json = 0, c;
    struct emb_err err = {0};
    if (argc < 2) {
        fputs(CONVERT_USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    /* GNU getopt_long permutes argv, so options may follow INPUT OUTPUT. */
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", convert_options, NULL)) != -1) {
        switch (c) {
        case OPT_FROM:
        case OPT_TO:
            if (emb_vec_format_parse(optarg, c == OPT_FROM ? &from : &to, &err) != EMB_OK)
                return cli_usage_error(cmd, "%s %s", c == OPT_FROM ? "--from:" : "--to:", err.msg);
            break;
        case OPT_VOCAB: vocab_in = optarg; break;
        case OPT_OUT_VOCAB: vocab_out = optarg; break;
        case OPT_LIMIT:
            if (cli_parse_ll(cmd, "--limit", optarg, 0, INT32_MAX, &limit)) return CLI_EXIT_USAGE;
            break;
        case OPT_NORMALIZE: normalize = 1; break;
        case OPT_QUIET: quiet = 1; break;
        case OPT_JSON: json = 1; break;
        case OPT_HELP: fputs(CONVERT_USAGE, stdout); return 0;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (argc - optind < 2) return cli_usage_error(cmd, "expected INPUT and OUTPUT (see emb convert --help)");
    if (argc - optind > 2) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 2]);
    const char *input = argv[optind], *output = argv[optind + 1];
    if (json && strcmp(output, "-") == 0) return cli_usage_error(cmd, "--json needs stdout: write OUTPUT to a file");

    /* Resolve the formats now, so that the summary names what was used. */
    if (from == EMB_FMT_AUTO) {
        int rc = emb_vec_format_detect(input, &from, &err);
        if (rc != EMB_OK) return cli_fail(cmd, rc, &err);
    }
    if (to == EMB_FMT_AUTO) to = emb_vec_format_from_path(output);
    if (vocab_in && from != EMB_FMT_NPY) return cli_usage_error(cmd, "--vocab is for .npy input only");
    if (vocab_out && to != EMB_FMT_NPY) return cli_usage_error(cmd, "--out-vocab is for .npy output only");
    /* INPUT is not listed: it is read whole before OUTPUT replaces it, so
     * converting a file onto itself is allowed. */
    const struct cli_path paths[] = {
        {"OUTPUT", output, vocab_out ? CLI_OUT : CLI_VECS, (int)to},
        {"--out-vocab", vocab_out, CLI_OUT, 0},
    };
    int st = cli_check_paths(cmd, paths, 2);
    if (st != 0) return st;

    struct emb_vecs *v = NULL;
    int rc = emb_vecs_load(&v, input, from, limit, vocab_in, &err);
    if (rc != EMB_OK) return cli_fail(cmd, rc, &err);
    if (normalize) emb_table_normalize_rows(v->table);
    rc = emb_vecs_save(v->vocab, v->table, output, to, vocab_out, &err);
    int32_t n = emb_vocab_size(v->vocab), dim = v->table->dim;
    emb_vecs_free(v);
    if (rc != EMB_OK) return cli_fail(cmd, rc, &err);

    if (!quiet)
        fprintf(stderr, "converted %d vectors of dimension %d: %s (%s) -> %s (%s)\n", n, dim, input,
                emb_vec_format_name(from), output, emb_vec_format_name(to));
    if (json) {
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "input", json_object_new_string(input));
        json_object_object_add(o, "output", json_object_new_string(output));
        json_object_object_add(o, "count", json_object_new_int64(n));
        json_object_object_add(o, "dim", json_object_new_int64(dim));
        cli_json_print(o);
    }
    return 0;
}
