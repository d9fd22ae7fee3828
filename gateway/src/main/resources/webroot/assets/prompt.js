// How the conversation becomes the input of a generate request.
//
// The gateway takes `messages` and the worker renders them with the model's own chat template.
// With SEND_MESSAGES false the page instead flattens the turns into a labelled transcript and sends
// it as `prompt`, for a gateway without `messages`; nothing else on the page depends on the choice.
export const SEND_MESSAGES = true;

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
