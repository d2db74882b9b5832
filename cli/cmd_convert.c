/* cmd_convert.c -- `emb convert INPUT OUTPUT`: between word2vec text,
 * word2vec binary and NumPy .npy (+ vocabulary file).
 *
 * A thin front end over emb_vecs_load / emb_vecs_save: formats come from
 * the file names unless --from/--to say otherwise, and the output is
 * written atomically, so converting a file onto itself is safe. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "emb/vecs.h"
#include "opt.h"

struct copts {
    const char *vocab_in, *vocab_out;
    enum emb_vec_format from, to;
    int64_t limit;
    int normalize, quiet, json;
};

#define T struct copts
static const struct cli_opt convert_opts[] = {
    CLI_FORMAT_OPT("from", T, from, "text|bin|npy", "input format", "from INPUT"),
    CLI_FORMAT_OPT("to", T, to, "text|bin|npy", "output format", "from OUTPUT"),
    CLI_STR_OPT("vocab", 0, T, vocab_in, "FILE", "vocabulary of an .npy INPUT", NULL),
    CLI_STR_OPT("out-vocab", 0, T, vocab_out, "FILE", "vocabulary to write with an .npy OUTPUT", NULL),
    CLI_I64_OPT("limit", T, limit, 0, INT32_MAX, "N", "keep only the first N vectors (0 = all)", NULL),
    CLI_FLAG_OPT("normalize", T, normalize, "scale every vector to unit length"),
    CLI_QUIET_OPT(T, quiet, "no summary line on stderr"),
    CLI_JSON_OPT(T, json, "print {\"input\",\"output\",\"count\",\"dim\"} on stdout"),
};
#undef T

static const struct cli_spec convert_spec = {
    .cmd = "convert",
    .usage = "usage: emb convert INPUT OUTPUT [options]\n"
             "\n"
             "Convert word vectors between formats. The formats follow the extensions:\n"
             ".bin word2vec binary, .npy NumPy float32 matrix with the words in a separate\n"
             "file (one per line, default: the .npy name with .vocab), anything else\n"
             "word2vec text. Input may be gzip-compressed; an input with an unknown\n"
             "extension is recognised by its content. \"-\" is stdin/stdout (text).\n",
    .opts = convert_opts,
    .n_opts = CLI_NOPTS(convert_opts),
    .tail = "example:\n"
            "  emb convert GoogleNews-vectors-negative300.bin.gz vectors.npy --limit 100000\n",
    .args = "INPUT and OUTPUT",
    .min_args = 2,
    .max_args = 2,
    .help_if_bare = 1,
};

int cmd_convert(int argc, char **argv) {
    const char *cmd = "convert";
    struct copts o = {.from = EMB_FMT_AUTO, .to = EMB_FMT_AUTO};
    struct cli_args a;
    struct emb_err err = {0};
    int st = cli_parse(&convert_spec, argc, argv, &o, &a);
    if (st >= 0) return st;
    const char *vocab_in = o.vocab_in, *vocab_out = o.vocab_out;
    enum emb_vec_format from = o.from, to = o.to;
    const char *input = a.v[0], *output = a.v[1];
    int json = o.json;
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
    if ((st = cli_check_paths(cmd, paths, 2)) != 0) return st;

    struct emb_vecs *v = NULL;
    int rc = emb_vecs_load(&v, input, from, o.limit, vocab_in, &err);
    if (rc != EMB_OK) return cli_fail(cmd, rc, &err);
    if (o.normalize) emb_table_normalize_rows(v->table);
    rc = emb_vecs_save(v->vocab, v->table, output, to, vocab_out, &err);
    int32_t n = emb_vocab_size(v->vocab), dim = v->table->dim;
    emb_vecs_free(v);
    if (rc != EMB_OK) return cli_fail(cmd, rc, &err);

    if (!o.quiet)
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
