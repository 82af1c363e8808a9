import { Field, InputType, registerEnumType } from 'type-graphql';
import { LocalDate } from '../../graphql/scalars.js';

export enum AnalyticsPreset {
  LAST_30_DAYS = 'LAST_30_DAYS',
  LAST_90_DAYS = 'LAST_90_DAYS',
  LAST_12_MONTHS = 'LAST_12_MONTHS',
  YEAR_TO_DATE = 'YEAR_TO_DATE',
}
registerEnumType(AnalyticsPreset, {
  name: 'AnalyticsPreset',
  description: "Periods ending today, in calendar dates of the church's time zone.",
  valuesConfig: {
    LAST_30_DAYS: { description: 'Today and the 29 days before' },
    LAST_90_DAYS: { description: 'Today and the 89 days before' },
    LAST_12_MONTHS: { description: 'From the first day of the month 11 months ago to today: 12 calendar months' },
    YEAR_TO_DATE: { description: 'From January 1 to today' },
  },
});

@InputType({ description: 'A preset, or from and to (inclusive, at most 5 years apart); LAST_30_DAYS when neither is given.' })
export class AnalyticsPeriodInput {
  @Field(() => AnalyticsPreset, { nullable: true }) preset?: AnalyticsPreset | null;
  @Field(() => LocalDate, { nullable: true, description: 'First day of the period (with to).' }) from?: string | null;
  @Field(() => LocalDate, { nullable: true, description: 'Last day of the period, included (with from).' }) to?: string | null;
}
