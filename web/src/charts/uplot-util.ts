import uPlot from 'uplot';

/** Keeps a chart as wide as its container. */
export function fitWidth(u: uPlot, container: HTMLElement, height: number): () => void {
  const observer = new ResizeObserver(() => {
    const width = Math.max(200, container.clientWidth);
    if (width !== u.width) u.setSize({ width, height });
  });
  observer.observe(container);
  return () => {
    observer.disconnect();
    u.destroy();
  };
}

/** A vertical line (and an optional shaded band) at epoch-second times, drawn over the series. */
export function markersPlugin(
  marks: { at: number; from?: number; to?: number; colour: string; dash?: boolean }[],
) {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const { ctx } = u;
        const { top, height } = u.bbox;
        ctx.save();
        for (const m of marks) {
          if (m.from !== undefined && m.to !== undefined) {
            const x0 = u.valToPos(m.from, 'x', true);
            const x1 = u.valToPos(m.to, 'x', true);
            ctx.fillStyle = m.colour;
            ctx.globalAlpha = 0.15;
            ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
            ctx.globalAlpha = 1;
          }
          const x = Math.round(u.valToPos(m.at, 'x', true));
          ctx.strokeStyle = m.colour;
          ctx.lineWidth = 2 * uPlot.pxRatio;
          ctx.setLineDash(m.dash ? [6 * uPlot.pxRatio, 4 * uPlot.pxRatio] : []);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

/** Axis labels in UTC, like the rest of the UI. */
export const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');
