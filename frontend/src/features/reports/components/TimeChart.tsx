import { useEffect, useId, useMemo, useRef, type CSSProperties, type ReactNode } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { knownTimezone } from "../format";
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
  yValue = (value) => value,
  yAxis,
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
  /** The value drawn for a figure (e.g. seconds drawn as minutes). */
  yValue?: (value: number) => number;
  /** The y axis' tick labels. */
  yAxis?: (value: number) => string;
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
      scales: { x: { time: true } },
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
          ...(yAxis ? { values: (_plot: uPlot, splits: number[]) => splits.map(yAxis) } : {}),
        },
      ],
    };
    const data: uPlot.AlignedData = [
      times,
      ...lines.map((line) => line.values.map((value) => (value === null ? null : yValue(value)))),
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
  }, [drawn, timezone, yValue, yAxis]);

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
