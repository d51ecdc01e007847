// `opplace place … --report FILE`: writes the standalone HTML report (report/standalone.ts builds it).
import { buildReportHtml, ReportInput } from '../report/standalone';
import { writeOutputFile } from './outputPath';

/** Writes the report to `out`; a failed write is one OpplaceError naming the file. */
export function writeReportFile(out: string, input: ReportInput): void {
  writeOutputFile(out, buildReportHtml(input), 'the report');
}
