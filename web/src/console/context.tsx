import { createContext, useContext } from 'react';
import type { NavigateFunction } from 'react-router';
import { classLabel, FIELD_CLASS_ORDER } from '../app/format.ts';
import type { StaffProfile } from '../app/session.tsx';

/** One purpose the agent may declare, as GET /api/staff/profile gives it. */
export interface ProfilePurpose {
  purpose: string;
  label: string;
  agreement: { reference: string; version: number; validUntil: string };
  read: string[];
  write: string[];
  relationship: 'caseload' | 'agency' | 'referral' | 'verified_caller';
  conditions: { maxAge?: number };
  breakGlass: boolean;
}

/** GET /api/staff/profile: the session's staff profile, with the purposes and the organisation's gate. */
export interface ConsoleProfile extends StaffProfile {
  purposes: ProfilePurpose[];
  hasCaseload: boolean;
  gate: { compliant: boolean; unmet: string[] };
}

/** Why a file is opened: the purpose of the agreement and the agent's own case reference. */
export interface Declaration {
  purpose: string;
  caseReference: string;
}

interface ConsoleContextValue {
  profile: ConsoleProfile;
  /** The last declaration made in this console (kept in memory only, never in the address). */
  declaration: Declaration | null;
  setDeclaration(declaration: Declaration | null): void;
}

export const ConsoleContext = createContext<ConsoleContextValue | null>(null);

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('useConsole outside ConsoleSpace');
  return value;
}

/** The headers every file request carries. */
export function declarationHeaders(declaration: Declaration): Record<string, string> {
  return { 'rempart-purpose': declaration.purpose, 'rempart-case-reference': declaration.caseReference };
}

/** What the file page receives through the history state: the person's id never enters the address. */
export interface OpenedFile {
  personId: string;
  declaration: Declaration;
}

export function openFile(navigate: NavigateFunction, personId: string, declaration: Declaration): void {
  const state: OpenedFile = { personId, declaration };
  void navigate('/console/dossier', { state });
}

export const RELATIONSHIP_LABELS: Record<ProfilePurpose['relationship'], string> = {
  caseload: 'les dossiers de votre portefeuille',
  agency: 'les dossiers suivis par votre agence',
  referral: 'les personnes orientées vers votre organisation',
  verified_caller: 'la personne qui vous appelle, après vérification de son identité',
};

export function purposeLabel(profile: ConsoleProfile, purpose: string): string {
  return profile.purposes.find((p) => p.purpose === purpose)?.label ?? purpose;
}

/** The classes this purpose never gives, in the interface's order. */
export function classesNotReadable(readable: readonly string[]): string[] {
  return FIELD_CLASS_ORDER.filter((c) => !readable.includes(c));
}

export function classList(classes: readonly string[]): string {
  return classes.map(classLabel).join(', ');
}
