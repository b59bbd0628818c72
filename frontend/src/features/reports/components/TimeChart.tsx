import { useEffect, useId, useMemo, useRef, type CSSProperties, type ReactNode } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatCount, formatDuration, knownTimezone } from "../format";
import styles from "./reports.module.css";

/** One line of a chart: its name, colour, dash pattern (so lines differ without colour too) and values. */
export interface ChartSeries {
  label: string;
  colour: string;
  /** Canvas dash pattern; the legend draws the same line style. */
  dash?: "solid" | "dashed" | "dotted";
  values: readonly (number | null)[];
  /** How a value reads in the table (e.g. "4 min"). */
  format: (value: number | null) => string;
}

const DASHES: Record<NonNullable<ChartSeries["dash"]>, number[] | undefined> = {
  solid: undefined,
  dashed: [8, 4],
  dotted: [2, 3],
};

/** The figures a chart draws, as plain data. */
interface Drawn {
  times: number[];
  lines: { label: string; colour: string; dash: NonNullable<ChartSeries["dash"]>; values: (number | null)[] }[];
}

/** A y axis: the tick steps it may use, how a tick reads, and the least top it shows. */
export interface YScale {
  steps: number[];
  label: (value: number) => string;
  least: number;
}

/** Whole numbers only: no "0.5 tickets". */
export const COUNTS: YScale = {
  steps: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 1_000_000],
  label: (value) => formatCount(value),
  least: 1,
};

/** Seconds, on steps a clock has (1 min, 5 min, 1 h…), read as durations. */
export const DURATIONS: YScale = {
  steps: [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800],
  label: (value) => formatDuration(value),
  least: 60,
};

const HEIGHT = 240;
const AXIS = "#4f5b69";
const GRID = "#e5e9ef";

/**
 * A line chart over time (uPlot, canvas) with a table of the same figures under a "Show table" disclosure, for
 * screen readers and anyone who wants the numbers. The canvas is one image to assistive technology, named by
 * `description`; the legend and the table are HTML.
 */
export function TimeChart({
  title,
  description,
  times,
  labels,
  timezone,
  bucketName,
  series,
  scale = COUNTS,
  actions,
}: {
  title: string;
  /** What the chart shows, in a sentence: the image's accessible name. */
  description: string;
  /** Bucket starts, in Unix seconds. */
  times: readonly number[];
  /** The buckets as people read them (the table's first column). */
  labels: readonly string[];
  /** The team's timezone: the axis shows times in it. */
  timezone: string;
  /** The first column's heading: "Day" or "Hour". */
  bucketName: string;
  series: readonly ChartSeries[];
  /** The y axis: counts (default) or durations in seconds. */
  scale?: YScale;
  /** Buttons beside the title (the CSV download). */
  actions?: ReactNode;
}) {
  const target = useRef<HTMLDivElement>(null);
  const titleId = useId();
  // What is drawn, by value: a poll that brings the same figures (in new arrays) leaves the chart alone.
  const drawnKey = JSON.stringify({
    times,
    lines: series.map(({ label, colour, dash, values }) => ({ label, colour, dash: dash ?? "solid", values })),
  });
  const drawn = useMemo(() => JSON.parse(drawnKey) as Drawn, [drawnKey]);

  useEffect(() => {
    const element = target.current;
    if (!element) return;
    const { times, lines } = drawn;
    const zone = knownTimezone(timezone);
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 300),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      // From zero, and never an empty range (a period with no figures yet).
      scales: { x: { time: true }, y: { range: (_plot, _min, max) => [0, Math.max(max, scale.least) * 1.05] } },
      tzDate: (seconds: number) => uPlot.tzDate(new Date(seconds * 1000), zone),
      series: [
        {},
        ...lines.map((line) => ({
          label: line.label,
          stroke: line.colour,
          width: 2,
          dash: DASHES[line.dash],
          points: { show: times.length <= 60, size: 5 },
        })),
      ],
      axes: [
        { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 } },
        {
          stroke: AXIS,
          grid: { stroke: GRID, width: 1 },
          ticks: { stroke: GRID, width: 1 },
          size: 56,
          incrs: scale.steps,
          values: (_plot: uPlot, splits: number[]) => splits.map(scale.label),
        },
      ],
    };
    const data: uPlot.AlignedData = [
      times,
      ...lines.map((line) => line.values),
    ];
    const plot = new uPlot(options, data, element);
    const resize =
      typeof ResizeObserver === "undefined"
        ? null
        : new ResizeObserver(() => {
            const width = Math.max(element.clientWidth, 300);
            if (width !== plot.width) plot.setSize({ width, height: HEIGHT });
          });
    resize?.observe(element);
    return () => {
      resize?.disconnect();
      plot.destroy();
    };
  }, [drawn, timezone, scale]);

  return (
    <figure className={styles.chart} aria-labelledby={titleId}>
      <div className={styles.chartHeader}>
        <h3 id={titleId}>{title}</h3>
        {actions}
      </div>
      <ul className={styles.legend} aria-label="Legend">
        {series.map((line) => (
          <li key={line.label}>
            <span
              className={[styles.swatch, styles[line.dash ?? "solid"]].join(" ")}
              style={{ "--series-colour": line.colour } as CSSProperties}
              aria-hidden="true"
            />
            {line.label}
          </li>
        ))}
      </ul>
      <div ref={target} className={styles.canvas} role="img" aria-label={description} />
      <details className={styles.chartTable}>
        <summary>Show table</summary>
        <div className={styles.tableScroll} role="region" aria-label={`${title}, table`} tabIndex={0}>
          <table className={styles.table}>
            <caption className="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{bucketName}</th>
                {series.map((line) => (
                  <th scope="col" key={line.label}>
                    {line.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((label, index) => (
                <tr key={`${String(index)}-${label}`}>
                  <th scope="row">{label}</th>
                  {series.map((line) => (
                    <td key={line.label}>{line.format(line.values[index] ?? null)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
