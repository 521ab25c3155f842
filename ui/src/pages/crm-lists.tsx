/**
 * The lists per tier setup keeps in the CRM (HubSpot lists, Salesforce list views), on the
 * Connections page: each one's name as the CRM shows it, linked to it there. With lists turned off
 * the lists are left in the CRM as they were and no longer kept up to date; the page says so.
 */
import { crmName, Empty } from '../components/common.tsx';
import type { InstallationWithRun } from '../types.ts';

/** `companies` → "Companies", `Account` → "Accounts". */
function objectLabel(object: string): string {
  const plural = /s$/.test(object) ? object : `${object}s`;
  return plural.charAt(0).toUpperCase() + plural.slice(1);
}

export function CrmListsCard({ installation }: { installation: InstallationWithRun }) {
  const off = installation.settings.crmLists === false;
  const crm = crmName(installation.crm);
  return (
    <section class="card" aria-labelledby="h-lists" data-lists={off ? 'off' : 'on'}>
      <h2 id="h-lists">Lists per tier in {crm}</h2>
      <p class="hint">
        {off
          ? `Lists are turned off: RightTouch no longer creates or updates them. Those below were left in ${crm} as they were.`
          : `For marketers: one list of each record kind per engagement model, kept by RightTouch — renamed when a tier's label changes, created for new tiers.`}
      </p>
      {installation.lists.length === 0 ? (
        <Empty>{off ? 'None kept.' : 'None yet: they are created by the next setup (before the next sync).'}</Empty>
      ) : (
        <div class="table-scroll">
          <table data-table="crm-lists">
            <thead>
              <tr>
                <th scope="col">List</th>
                <th scope="col">Records</th>
              </tr>
            </thead>
            <tbody>
              {installation.lists.map((list) => (
                <tr key={`${list.object}:${list.tier}`} data-tier={list.tier} data-object={list.object}>
                  <td>
                    {list.url === undefined ? (
                      list.name
                    ) : (
                      <a href={list.url} target="_blank" rel="noopener noreferrer">
                        {list.name}
                      </a>
                    )}
                  </td>
                  <td>{objectLabel(list.object)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
