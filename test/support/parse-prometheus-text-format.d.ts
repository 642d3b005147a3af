// Types of the exposition-format parser the metrics test uses (the package ships none).
declare module 'parse-prometheus-text-format' {
  interface ParsedSample {
    value: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
  }
  interface ParsedFamily {
    name: string;
    help: string;
    type: string;
    metrics: ParsedSample[];
  }
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
