// longnet tokenize: how a text tokenizes with a run's tokenizer (like llama.cpp's tokenize tool).
// The text is encoded exactly as generate encodes a prompt and the training token cache and eval
// encode text (data/piece_encode.hpp): one line per token, "id<TAB>piece", the piece as
// SentencePiece writes it (▁ is a space, <0x0A> a byte-fallback byte) in JSON quotes; --ids
// prints only the ids as one JSON list. The count goes to stderr.
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "core/bounded_read.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "data/corpus.hpp"
#include "data/piece_encode.hpp"
#include "run/trained_model.hpp"

namespace {

struct TokenizeArgs {
  std::string checkpoint;
  std::string prompt;
  std::string file;
  bool ids_only = false;
};

ln::app::RegisterCommand reg{
    {"", "tokenize",
     "Show how a text tokenizes: one line per token, id and piece (like llama.cpp's tokenize)",
     [](CLI::App& cmd) -> ln::app::RunFn {
       auto args = std::make_shared<TokenizeArgs>();
       cmd.add_option("-m,--checkpoint,--model", args->checkpoint,
                      "Run directory (its newest intact checkpoint's tokenizer), a step-* checkpoint, or a "
                      "tokenizer .model file")
           ->required();
       auto* prompt = cmd.add_option("-p,--prompt", args->prompt, "The text to tokenize");
       auto* file =
           cmd.add_option("-f,--file", args->file, "A file whose text (UTF-8) to tokenize; - reads stdin");
       prompt->excludes(file);
       cmd.add_flag("--ids", args->ids_only, "Print only the ids, as one JSON list");
       return [args, prompt] {
         LN_CHECK(prompt->count() > 0 || !args->file.empty(), "give the text with -p TEXT or -f FILE");
         std::string text = args->prompt;
         if (prompt->count() == 0) {
           ln::BoundedReadOptions read;
           read.what = "-f";
           read.max_bytes = size_t(64) << 20;
           read.allow_stdin = true;
           read.allow_streams = true;
           read.limit_hint = "tokenize a shorter text";
           text = ln::read_bounded(args->file, read);
         }
         const int64_t bad = ln::find_invalid_utf8(text);
         LN_CHECK(bad < 0, "the text is not valid UTF-8 (byte ", bad, "); save it as UTF-8");
         const ln::Tokenizer tokenizer = ln::load_trained_tokenizer(args->checkpoint);
         const std::vector<int32_t> ids = ln::encode_in_pieces(tokenizer, text);
         if (args->ids_only) {
           std::string line = "[";
           for (size_t i = 0; i < ids.size(); ++i) line += (i ? ", " : "") + std::to_string(ids[i]);
           std::cout << line << "]\n";
         } else {
           for (const int32_t id : ids)
             std::cout << id << '\t' << ln::json_escape(tokenizer.piece(id)) << '\n';
         }
         std::cout << std::flush;
         std::cerr << ids.size() << " tokens, " << text.size() << " bytes\n";
         return 0;
       };
     }}};

}  // namespace
