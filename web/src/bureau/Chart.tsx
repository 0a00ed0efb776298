import { Accordion } from '@codegouvfr/react-dsfr/Accordion';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef, type ReactNode } from 'react';
import './bureau.css';

// Only what the desk's charts use: bars, lines, two scales, the legend and tooltips.
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);

/**
 * A chart on a <canvas> (named by `label` for screen readers), with its figures as a table in an
 * accordion: the accessible alternative, and what a keyboard user reads.
 */
export function ChartFigure({
  label,
  config,
  table,
  tableTitle,
}: {
  label: string;
  config: ChartConfiguration;
  table: ReactNode;
  tableTitle: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options },
    });
    return () => chart.destroy();
  }, [config]);
  return (
    <figure className="fr-mb-4w">
      <div className="rempart-chart">
        <canvas ref={canvas} role="img" aria-label={label} />
      </div>
      <Accordion label={tableTitle} className="fr-mt-2w">
        <div className="rempart-scroll">{table}</div>
      </Accordion>
    </figure>
  );
}
