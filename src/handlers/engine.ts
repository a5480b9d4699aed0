/** Scheduled automated-response engine handler: placeholder until issue #8 lands. */
export const handler = async (): Promise<{ status: string }> => {
  throw new Error('The automated response engine is not built yet');
};
