import { Field, ID, InputType, Int } from 'type-graphql';
import { CustomFieldType } from '../../graphql/enums.js';
import { LocalDate } from '../../graphql/scalars.js';

@InputType()
export class CreateCustomFieldInput {
  @Field(() => ID) churchId!: string;
  @Field(() => String, { description: '1-80 characters, unique in the church (case-insensitive).' }) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => CustomFieldType) type!: CustomFieldType;
  @Field(() => Boolean, { nullable: true, defaultValue: false }) required?: boolean;
  @Field(() => Int, { nullable: true, description: 'Display order (0-10000); default: after the others.' }) position?: number | null;
  @Field(() => [String], { nullable: true, description: 'SINGLE_CHOICE / MULTIPLE_CHOICE: 1-50 choices, unique (case-insensitive).' })
  choices?: string[] | null;
}

@InputType()
export class RenameChoiceInput {
  @Field(() => String) from!: string;
  @Field(() => String) to!: string;
}

@InputType({ description: 'Only the fields given change. The type cannot change.' })
export class UpdateCustomFieldInput {
  @Field(() => String, { nullable: true }) name?: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Applies from now on: see CustomField.required.' }) required?: boolean | null;
  @Field(() => Int, { nullable: true }) position?: number | null;
  @Field(() => [String], { nullable: true, description: 'The new full list. A choice someone still has cannot be dropped (rename it instead).' })
  choices?: string[] | null;
  @Field(() => [RenameChoiceInput], { nullable: true, description: "Renames choices in the field and in every person's answer (applied before choices)." })
  renameChoices?: RenameChoiceInput[] | null;
}

@InputType({ description: "A person's value of one field: give the slot of the field's type; none (or null) clears the value." })
export class CustomFieldValueInput {
  @Field(() => ID) fieldId!: string;
  @Field(() => String, { nullable: true, description: 'TEXT (at most 1,000 characters)' }) text?: string | null;
  @Field(() => Number, { nullable: true, description: 'NUMBER' }) number?: number | null;
  @Field(() => LocalDate, { nullable: true, description: 'DATE' }) date?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'YES_NO' }) yesNo?: boolean | null;
  @Field(() => String, { nullable: true, description: 'SINGLE_CHOICE: one of the choices (case-insensitive)' }) choice?: string | null;
  @Field(() => [String], { nullable: true, description: 'MULTIPLE_CHOICE: some of the choices' }) choices?: string[] | null;
}

@InputType({ description: 'Members whose value of one field matches: give exactly one condition.' })
export class CustomFieldFilter {
  @Field(() => ID) fieldId!: string;
  @Field(() => Boolean, { nullable: true, description: 'true: has a value; false: has none.' }) isSet?: boolean | null;
  @Field(() => String, { nullable: true, description: 'TEXT equals (case-insensitive).' }) text?: string | null;
  @Field(() => Number, { nullable: true, description: 'NUMBER at least.' }) min?: number | null;
  @Field(() => Number, { nullable: true, description: 'NUMBER at most.' }) max?: number | null;
  @Field(() => LocalDate, { nullable: true, description: 'DATE on or after.' }) from?: string | null;
  @Field(() => LocalDate, { nullable: true, description: 'DATE on or before.' }) to?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'YES_NO equals.' }) yesNo?: boolean | null;
  @Field(() => [String], { nullable: true, description: 'SINGLE_CHOICE is one of / MULTIPLE_CHOICE has any of.' }) anyOf?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'MULTIPLE_CHOICE has all of.' }) allOf?: string[] | null;
}

@InputType({ description: 'Orders the directory by a custom field: people with a value first (by value, then id), then the others by name.' })
export class CustomFieldOrder {
  @Field(() => ID) fieldId!: string;
  @Field(() => Boolean, { nullable: true, defaultValue: false }) descending?: boolean;
}
