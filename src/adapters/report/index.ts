export { createHtmlReportWriter, type HtmlReportWriterOptions } from './writer.js';
export { renderReportHtml, histogramSvg, escapeHtml, type ReportImages } from './html.js';
