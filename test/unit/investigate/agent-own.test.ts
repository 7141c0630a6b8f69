import { describe, expect, it } from 'vitest';
import { isAgentOwnAccess, loginForms, loginLetters, nameTokens } from '../../../src/investigate/agent-own.js';
import { row } from './support.js';

const byName = (name: string) => ({ by: 'name', name }) as const;
const byId = (userId: string) => ({ by: 'user_id', userId }) as const;
const asActor = (email: string | undefined, sessionName?: string) => row({ actorEmail: email, sessionName: sessionName ?? email });

describe('the agent-own rule', () => {
  it('folds names and logins to letters', () => {
    expect(nameTokens('José  López 39')).toEqual(['jose', 'lopez']);
    expect(loginLetters('Jose_Lopez2@Example.org')).toBe('joselopez');
    expect([...loginForms('Ana Maria Silva')].sort()).toEqual(['anamariasilva', 'anasilva', 'asilva', 'silvaana']);
    expect(loginForms('Cher').size).toBe(0);
  });

  it("matches the usual login spellings of the agent's name", () => {
    for (const email of ['ana.silva@example.org', 'silva.ana@example.org', 'asilva@example.org', 'Ana_Silva2@example.org', 'ANASILVA@x.io']) {
      expect(isAgentOwnAccess(asActor(email), byName('Ana Silva')), email).toBe(true);
    }
    expect(isAgentOwnAccess(asActor('jose.lopez@example.org'), byName('JOSÉ LÓPEZ'))).toBe(true);
  });

  it('keeps anything it is not sure of', () => {
    for (const email of ['supervisor.ana.silva@example.org', 'ana@example.org', 'silva@example.org', 'bruno.diaz@example.org']) {
      expect(isAgentOwnAccess(asActor(email), byName('Ana Silva')), email).toBe(false);
    }
    expect(isAgentOwnAccess(asActor(undefined, undefined), byName('Ana Silva'))).toBe(false);
  });

  it('by user id: the name comes from the participant with that id, or the session is the id', () => {
    expect(isAgentOwnAccess(asActor('bruno.diaz@example.org'), byId('u-1'))).toBe(true);
    expect(isAgentOwnAccess(asActor('ana.silva@example.org'), byId('u-1'))).toBe(false);
    expect(isAgentOwnAccess(asActor(undefined, 'U-1'), byId('u-1'))).toBe(true);
    expect(isAgentOwnAccess(asActor('bruno.diaz@example.org'), byId('u-2'))).toBe(false);
  });
});
