// How the conversation becomes the input of a generate request.
//
// The gateway's generate parameters take `prompt` (plain text to continue). Once they also take
// `messages` (the model's own chat template applied on the worker), set SEND_MESSAGES to true:
// nothing else on the page changes. Until then the turns are flattened into a labelled transcript.
export const SEND_MESSAGES = false;

const LABELS = { system: 'System', user: 'User', assistant: 'Assistant' };

/** The fields a generate frame gets for these messages ({role, content} each). */
export function generationInput(messages) {
  if (SEND_MESSAGES) {
    return { messages };
  }
  // The stop sequence keeps a base model from writing the user's next turn itself.
  return { prompt: transcript(messages), stop: ['\nUser:'] };
}

/** "System: ...\nUser: ...\nAssistant: ...\nAssistant:" — a format any base model can continue. */
export function transcript(messages) {
  const turns = messages.map((m) => `${LABELS[m.role] ?? m.role}: ${m.content}`);
  turns.push('Assistant:');
  return turns.join('\n');
}
