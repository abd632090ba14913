// `longnet report paper DIR`: REPORT.md and loss_by_position.svg of a `make paper` run
// (report/paper_report.hpp says what it reads); `longnet report retrieval DIR`: REPORT.md of a
// `make retrieval` run (report/retrieval_report.hpp).
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "core/file_io.hpp"
#include "report/paper_report.hpp"
#include "report/retrieval_report.hpp"

namespace {

struct ReportOptions {
  std::string kind;
  ln::PaperReportOptions paper;
};

ln::app::RegisterCommand reg{
    {"", "report", "Write the report of a make paper or make retrieval run (REPORT.md)", [](CLI::App& cmd) {
       auto opts = std::make_shared<ReportOptions>();
       cmd.add_option("kind", opts->kind,
                      "What to report on: paper (make paper) or retrieval (make retrieval)")
           ->required()
           ->check(CLI::IsMember({"paper", "retrieval"}));
       cmd.add_option("dir", opts->paper.dir, "The run's folder (runs/paper, runs/retrieval)")
           ->required()
           ->check(CLI::ExistingDirectory);
       cmd.add_option("--contexts", opts->paper.contexts, "Evaluation contexts, in table order")
           ->delimiter(',')
           ->default_str("2048,8192,32768");
       return [opts] {
         if (opts->kind == "retrieval") {
           const std::string md = opts->paper.dir + "/REPORT.md";
           ln::write_file_atomic(md, ln::build_retrieval_report(opts->paper.dir));
           std::cout << "report: wrote " << md << "\n";
           return 0;
         }
         const ln::PaperReport report = ln::build_paper_report(opts->paper);
         const std::string md = opts->paper.dir + "/REPORT.md",
                           svg = opts->paper.dir + "/loss_by_position.svg";
         ln::write_file_atomic(svg, report.svg);
         ln::write_file_atomic(md, report.markdown);
         std::cout << "report: wrote " << md << " and " << svg;
         if (!report.missing.empty())
           std::cout << " (" << report.missing.size() << " measurements missing; listed at its end)";
         std::cout << "\n";
         return 0;
       };
     }}};

}  // namespace
