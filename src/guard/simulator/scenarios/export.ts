import type { SimContext } from '../context.ts';
import { checkGoals, type ScenarioReport } from '../report.ts';

/**
 * A subcontractor leaking an export file. Exports (two officers' approval, traceable files,
 * traceLeak) were still being built, outside the committed code, when the simulator was written:
 * the scenario says so instead of giving a number, until it is wired to them.
 */
export async function exportLeak(ctx: SimContext): Promise<ScenarioReport> {
  void ctx;
  const r: Omit<ScenarioReport, 'goals'> = {
    scenario: 'export',
    variant: '',
    title: 'fichier d’export d’un sous-traitant divulgué, fuite remontée jusqu’à l’export qui l’a produit',
    available: false,
    unavailable: 'les exports (approbation par deux responsables, fichiers traçables, traceLeak, routes /api/security/exports) n’étaient pas encore intégrés au dépôt quand le simulateur a été écrit : scénario à brancher sur eux, aucun chiffre n’est donné',
    attack: true,
    requests: 0,
    refused: 0,
    refusals: {},
    personsExposed: null,
    decoysRead: null,
    contained: false,
    containment: null,
    decoyToContainmentMs: null,
    circuitBreakers: 0,
    notes: [],
  };
  return { ...r, goals: checkGoals(r) };
}
