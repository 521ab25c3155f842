/** The names `setup` gives what it creates in the org (setup.ts), shared by the files that keep them. */

export const FIELDS = {
  tier: 'Engagement_Model__c',
  override: 'Engagement_Model_Override__c',
  reason: 'Engagement_Model_Reason__c',
  next: 'Engagement_Model_Next__c',
  updatedAt: 'Engagement_Model_Updated__c',
} as const;
export const TIERED_OBJECTS = ['Account', 'Contact', 'Lead'] as const;
export const EDIT_PERMISSION_SET = 'RightTouch_Engagement_Model_Edit';
export const READ_PERMISSION_SET = 'RightTouch_Engagement_Model_Read';
