import { Field, ID, InputType, registerEnumType } from 'type-graphql';
import { JSONResolver } from 'graphql-scalars';

export const RuleMatch = { ALL: 'ALL', ANY: 'ANY' } as const;
export type RuleMatch = (typeof RuleMatch)[keyof typeof RuleMatch];
registerEnumType(RuleMatch, { name: 'RuleMatch', description: 'ALL: every condition holds. ANY: at least one does.' });

@InputType({ description: 'One condition: a field, an operator and a JSON value (README "Smart lists" lists them all).' })
export class SmartListConditionInput {
  @Field(() => String, { description: 'status, tags, groups, householdRole, age, birthDate, firstVisitOn, joinedOn, smsConsent, customField, lapsed' })
  field!: string;
  @Field(() => String, { description: 'IN, NOT_IN, HAS_ANY, HAS_ALL, HAS_NONE, IS_SET, IS_NOT_SET, GTE, LTE, BETWEEN, WITHIN_LAST_DAYS, EQ, MATCHES (by field)' })
  op!: string;
  @Field(() => JSONResolver, { nullable: true }) value?: unknown;
}

@InputType({ description: 'Conditions combined by their own match (groups do not nest further).' })
export class SmartListRuleGroupInput {
  @Field(() => RuleMatch, { nullable: true, defaultValue: RuleMatch.ALL }) match?: RuleMatch;
  @Field(() => [SmartListConditionInput]) conditions!: SmartListConditionInput[];
}

@InputType({ description: 'Conditions and groups of conditions, combined by match: at most 30 conditions in all, 10 groups.' })
export class SmartListRulesInput {
  @Field(() => RuleMatch, { nullable: true, defaultValue: RuleMatch.ALL }) match?: RuleMatch;
  @Field(() => [SmartListConditionInput], { nullable: true }) conditions?: SmartListConditionInput[];
  @Field(() => [SmartListRuleGroupInput], { nullable: true }) groups?: SmartListRuleGroupInput[];
}

@InputType()
export class CreateSmartListInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String, { description: '1-80 characters, unique in the church.' }) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => SmartListRulesInput) rules!: SmartListRulesInput;
}

@InputType({ description: 'Only the fields given change.' })
export class UpdateSmartListInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => SmartListRulesInput, { nullable: true }) rules?: SmartListRulesInput;
}
