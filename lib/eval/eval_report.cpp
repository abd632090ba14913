#include "eval/eval_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/display_width.hpp"
#include "core/json.hpp"
#include "core/number_format.hpp"

namespace ln {

namespace {

// "30.3 ± 0.4", with digits matched to the standard error's size.
std::string ppl_text(const LossStats& s) {
  const double p = s.perplexity(), se = s.perplexity_se();
  if (!std::isfinite(p)) return "-";
  if (!std::isfinite(se)) return format_fixed(p, 2);
  const int digits = se >= 10 ? 0 : se >= 1 ? 1 : se >= 0.1 ? 2 : 3;
  return format_fixed(p, digits) + " \u00b1 " + format_fixed(se, digits);
}

std::string pad(const std::string& s, size_t width, bool right) {
  const size_t w = display_width(s);
  if (w >= width) return s;
  return right ? std::string(width - w, ' ') + s : s + std::string(width - w, ' ');
}

std::string stats_json(const StreamResult& r, int64_t bytes, int64_t documents, const std::string* path) {
  JsonObject o;
  if (path) o.add("path", *path);
  o.add("bytes", bytes)
      .add("documents", documents)
      .add("tokens", r.loss.tokens())
      .add("windows", r.windows)
      .add("input_tokens", r.input_tokens)
      .add("mean_loss", r.loss.mean_loss())
      .add("loss_se", r.loss.mean_loss_se())
      .add("perplexity", r.loss.perplexity())
      .add("perplexity_se", r.loss.perplexity_se())
      .add("se_method", r.loss.se_method())
      .add("bits_per_byte", bytes > 0 ? bits_per_byte(r.loss.loss_sum(), bytes) : std::nan(""));
  return o.str();
}

}  // namespace

std::string format_eval_text(const EvalReport& report) {
  std::string out;
  out += "checkpoint " + report.checkpoint + " (step " + std::to_string(report.step) + ", " +
         format_count(static_cast<double>(report.parameters)) + " parameters, " + report.attention +
         ", trained on seq_len " + std::to_string(report.train_seq_len) + ")\n";
  for (const auto& note : report.notes) out += note + "\n";
  for (const MethodResult& m : report.methods) {
    out += '\n';
    out += m.describe();
    out += '\n';
    std::vector<std::vector<std::string>> rows = {
        {"file", "bytes", "tokens", "loss (nats)", "perplexity", "bits/byte"}};
    for (const FileResult& f : m.files) {
      rows.push_back({f.path, format_thousands(f.bytes), format_thousands(f.result.loss.tokens()),
                      format_fixed(f.result.loss.mean_loss(), 4), ppl_text(f.result.loss),
                      format_fixed(bits_per_byte(f.result.loss.loss_sum(), f.bytes), 4)});
    }
    if (m.files.size() > 1) {
      rows.push_back({"all " + std::to_string(m.files.size()) + " files", format_thousands(m.bytes),
                      format_thousands(m.all.loss.tokens()), format_fixed(m.all.loss.mean_loss(), 4),
                      ppl_text(m.all.loss), format_fixed(bits_per_byte(m.all.loss.loss_sum(), m.bytes), 4)});
    }
    std::vector<size_t> widths(rows[0].size(), 0);
    for (const auto& row : rows) {
      for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
    }
    for (size_t r = 0; r < rows.size(); ++r) {
      if (r + 1 == rows.size() && m.files.size() > 1) {  // a rule above the total
        size_t total = 2;
        for (size_t c = 0; c < widths.size(); ++c) total += widths[c] + (c ? 3 : 0);
        out += "  " + std::string(total - 2, '-') + "\n";
      }
      std::string line = "  ";
      for (size_t c = 0; c < rows[r].size(); ++c)
        line += (c ? "   " : "") + pad(rows[r][c], widths[c], c > 0);
      out += line + "\n";
    }
  }
  out +=
      "\nperplexity \u00b1 1 standard error: exp(mean loss), delta method on the mean loss's standard error "
      "over "
      "windows (each window's tokens one cluster); bits/byte = total loss / ln 2 / the file's UTF-8 bytes "
      "(.jsonl: its texts' bytes)\n";
  for (const auto& path : report.position_files) out += "wrote " + path + "\n";
  if (!report.per_token_file.empty()) out += "wrote " + report.per_token_file + "\n";
  char tail[96];
  std::snprintf(tail, sizeof tail, "%.1f s", report.seconds);
  out += "evaluated in " + std::string(tail) + (report.partial ? " (partial: interrupted)" : "") + "\n";
  return out;
}

std::string format_eval_json(const EvalReport& report) {
  std::string methods = "[";
  for (const MethodResult& m : report.methods) {
    if (methods.size() > 1) methods += ",";
    std::string files = "[";
    int64_t documents = 0;
    for (const FileResult& f : m.files) {
      if (files.size() > 1) files += ",";
      files += stats_json(f.result, f.bytes, f.documents, &f.path);
      documents += f.documents;
    }
    files += "]";
    methods += JsonObject()
                   .add("method", m.name)
                   .add("context", m.context)
                   .add("stride", m.stride)
                   .add_raw("files", files)
                   .add_raw("all", stats_json(m.all, m.bytes, documents, nullptr))
                   .str();
  }
  methods += "]";
  std::string notes = "[", position_files = "[";
  for (const auto& n : report.notes) {
    if (notes.size() > 1) notes.push_back(',');
    notes.append(json_escape(n));
  }
  for (const auto& p : report.position_files) {
    if (position_files.size() > 1) position_files.push_back(',');
    position_files.append(json_escape(p));
  }
  return JsonObject()
      .add("checkpoint", report.checkpoint)
      .add("step", report.step)
      .add("parameters", report.parameters)
      .add("attention", report.attention)
      .add("train_seq_len", report.train_seq_len)
      .add("context", report.context)
      .add("stride", report.stride)
      .add("batch", report.batch)
      .add("context_exceeds_training", report.context > report.train_seq_len)
      .add_raw("notes", notes + "]")
      .add_raw("methods", methods)
      .add_raw("position_files", position_files + "]")
      .add("per_token_file", report.per_token_file)
      .add("seconds", report.seconds)
      .add("partial", report.partial)
      .str();
}

}  // namespace ln
