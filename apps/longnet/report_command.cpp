// `longnet report paper DIR`: REPORT.md and loss_by_position.svg of a `make paper` run
// (eval/paper_report.hpp says what it reads).
#include <iostream>
#include <memory>

#include "command_registry.hpp"
#include "core/file_io.hpp"
#include "report/paper_report.hpp"

namespace {

struct ReportOptions {
  std::string kind;
  ln::PaperReportOptions paper;
};

ln::app::RegisterCommand reg{
    {"", "report", "Write the report of a make paper run (REPORT.md and an SVG)", [](CLI::App& cmd) {
       auto opts = std::make_shared<ReportOptions>();
       cmd.add_option("kind", opts->kind, "What to report on: paper")
           ->required()
           ->check(CLI::IsMember({"paper"}));
       cmd.add_option("dir", opts->paper.dir, "The run's folder (make paper: runs/paper)")
           ->required()
           ->check(CLI::ExistingDirectory);
       cmd.add_option("--contexts", opts->paper.contexts, "Evaluation contexts, in table order")
           ->delimiter(',')
           ->default_str("2048,8192,32768");
       return [opts] {
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
