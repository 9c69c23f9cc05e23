// chart.jsx: a uPlot line chart as a Preact component; resizes with its box.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

// series: [{label, stroke, scale?, fill?, dash?, paths?}], data: [xs(seconds),
// ys...]; scales and hooks go to uPlot as they are (the x scale stays time).
export function Chart({ series, data, height = 220, axes, scales, hooks }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const width = Math.max(240, box.current.clientWidth);
    const opts = {
      width,
      height,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, scale: s.scale || 'y', fill: s.fill, dash: s.dash, paths: s.paths }))],
      axes: axes || [{}, { scale: 'y', size: 60 }],
      scales: { ...scales, x: { time: true } },
      hooks,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    };
    plot.current = new uPlot(opts, data, box.current);
    const ro = new ResizeObserver(() => plot.current && box.current && plot.current.setSize({ width: Math.max(240, box.current.clientWidth), height }));
    ro.observe(box.current);
    return () => {
      ro.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
  }, [JSON.stringify(series), height]);
  useEffect(() => {
    if (plot.current) plot.current.setData(data);
  }, [data]);
  return <div class="chart" ref={box} />;
}
