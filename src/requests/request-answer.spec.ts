import { describe, expect, it } from '@jest/globals';
import { parseAnswer } from './request-answer.js';

const questions = {
  questions: [
    { question: 'Which format?', options: [{ label: 'PDF' }, { label: 'Word' }], multi_select: false },
    { question: 'Which parts?', options: [{ label: 'Summary' }, { label: 'Deadlines' }, { label: 'Costs' }], multi_select: true },
  ],
};

describe('answers, checked against their request', () => {
  it('a permission takes a decision among the options, and a message', () => {
    expect(parseAnswer('permission', {}, { decision: 'allow_once' })).toEqual({ outcome: { decision: 'allow_once' } });
    expect(parseAnswer('permission', {}, { decision: 'deny', message: '  not there  ' })).toEqual({ outcome: { decision: 'deny', message: 'not there' } });
    expect(parseAnswer('permission', {}, { decision: 'maybe' })).toEqual({ problem: 'decision must be one of allow_once, allow_always, deny' });
    expect(parseAnswer('permission', {}, {})).toEqual({ problem: 'decision must be one of allow_once, allow_always, deny' });
    expect(parseAnswer('permission', {}, { decision: 'deny', output: 'x' })).toEqual({
      problem: 'output does not belong in the answer to a permission request (it takes decision and message)',
    });
  });

  it('a question takes one label per single-select question, one or more per multi-select one, every question answered', () => {
    expect(parseAnswer('question', questions, { answers: { 'Which format?': 'PDF', 'Which parts?': ['Summary', 'Costs'] } })).toEqual({
      outcome: { answers: { 'Which format?': ['PDF'], 'Which parts?': ['Summary', 'Costs'] } },
    });
    expect(parseAnswer('question', questions, { answers: { 'Which format?': ['Word'], 'Which parts?': 'Costs' } })).toEqual({
      outcome: { answers: { 'Which format?': ['Word'], 'Which parts?': ['Costs'] } },
    });
    const problem = (answers: unknown) => (parseAnswer('question', questions, { answers: answers as Record<string, unknown> }) as { problem: string }).problem;
    expect(problem({ 'Which format?': 'PDF' })).toBe('answers["Which parts?"] is missing: every question needs an answer');
    expect(problem({ 'Which format?': 'PDF', 'Which parts?': 'Costs', Other: 'x' })).toBe('answers["Other"] is not one of the questions asked');
    expect(problem({ 'Which format?': 'HTML', 'Which parts?': 'Costs' })).toBe('answers["Which format?"]: "HTML" is not one of its options ("PDF", "Word")');
    expect(problem({ 'Which format?': ['PDF', 'Word'], 'Which parts?': 'Costs' })).toBe(
      'answers["Which format?"] takes one label: the question is not multi-select',
    );
    expect(problem({ 'Which format?': [], 'Which parts?': 'Costs' })).toBe('answers["Which format?"] must be a label, or a non-empty array of labels');
    expect(problem({ 'Which format?': 'PDF', 'Which parts?': ['Costs', 'Costs'] })).toBe('answers["Which parts?"] names an option twice');
    expect(problem(['PDF'])).toBe('answers must be an object: {"<question>": "<label>" or ["<label>", ...]}');
  });

  it('a client tool takes an output (string or JSON, at most 256 KB) and is_error', () => {
    expect(parseAnswer('client_tool', {}, { output: 'opened' })).toEqual({ outcome: { is_error: false }, answer: 'opened' });
    expect(parseAnswer('client_tool', {}, { output: { rows: [1, 2] }, is_error: true })).toEqual({ outcome: { is_error: true }, answer: { rows: [1, 2] } });
    expect(parseAnswer('client_tool', {}, { output: null })).toEqual({ outcome: { is_error: false }, answer: null });
    expect(parseAnswer('client_tool', {}, {})).toEqual({ problem: 'output is required: the tool result, a string or JSON' });
    expect(parseAnswer('client_tool', {}, { output: 'x'.repeat(256 * 1024) })).toEqual({ problem: 'output must be at most 256 KB' });
    expect(parseAnswer('client_tool', {}, { output: 'x', decision: 'deny' })).toEqual({
      problem: 'decision does not belong in the answer to a client_tool request (it takes output and is_error)',
    });
  });
});
