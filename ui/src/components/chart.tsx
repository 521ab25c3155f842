/**
 * Chart.js on a canvas, with only the parts these charts use registered (a small bundle). Every
 * chart has a text alternative: its label, and a table of the same numbers next to it.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  type ChartData,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement);
Chart.register(Legend, Tooltip);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#374151';
Chart.defaults.animation = false;

export interface ChartProps {
  readonly type: 'bar' | 'line';
  readonly data: ChartData<'bar' | 'line'>;
  /** What the chart shows, for screen readers (the table beside it has the numbers). */
  readonly label: string;
  readonly name: string;
  readonly height?: number;
  readonly stacked?: boolean;
  readonly legend?: boolean;
}

export function ChartView({ type, data, label, name, height = 220, stacked = false, legend = true }: ChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar' | 'line'> | null>(null);
  useEffect(() => {
    const element = canvas.current;
    if (element === null) return undefined;
    const config: ChartConfiguration<'bar' | 'line'> = {
      type,
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { display: legend, position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } },
          tooltip: { enabled: true },
        },
        scales: {
          x: { stacked, grid: { display: false } },
          y: { stacked, beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    };
    chart.current = new Chart(element, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [type, data, stacked, legend]);
  return (
    <div class="chart" style={{ height: `${height}px` }} data-chart={name}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
