import type { ReactNode } from 'react';

/**
 * The spaces' tables: a DSFR table, scrolled sideways on a narrow screen and reachable by the
 * keyboard (tabIndex), named by its caption, one header cell per column; the rows are the children.
 */
export function DataTable({
  caption,
  columns,
  children,
  className = 'fr-table rempart-scroll',
}: {
  caption: ReactNode;
  columns: string[];
  children: ReactNode;
  className?: string;
}) {
  return (
    <div className={className}>
      <table tabIndex={0}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
