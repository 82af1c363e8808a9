import { Field, ID, Int, ObjectType } from 'type-graphql';
import { CustomFieldType } from '../../graphql/enums.js';
import { DateTime, LocalDate } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: "A church's own field on its people (baptism date, T-shirt size…). Archived, never deleted." })
export class CustomField {
  @Field(() => ID) id!: number;
  churchId!: number;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => CustomFieldType) type!: CustomFieldType;
  @Field(() => Boolean, { description: 'Must be given when a person is created, and cannot be cleared. People who lacked it before it became required keep working (see missingCount).' })
  required!: boolean;
  @Field(() => Int, { description: 'Display order: ascending (ties by id).' }) position!: number;
  @Field(() => [String], { description: 'The choices of a SINGLE_CHOICE or MULTIPLE_CHOICE field, in order (empty otherwise).' })
  choices!: string[];
  @Field(() => DateTime, { nullable: true }) archivedAt!: Date | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}

@ObjectType({ simpleResolvers: true, description: "A person's value of one custom field: the slot of the field's type is set (the others are null)." })
export class CustomFieldValue {
  @Field(() => CustomField) field!: CustomField;
  @Field(() => Boolean, { description: 'False: no value yet.' }) isSet!: boolean;
  @Field(() => String, { nullable: true, description: 'TEXT' }) text!: string | null;
  @Field(() => Number, { nullable: true, description: 'NUMBER' }) number!: number | null;
  @Field(() => LocalDate, { nullable: true, description: 'DATE' }) date!: string | null;
  @Field(() => Boolean, { nullable: true, description: 'YES_NO' }) yesNo!: boolean | null;
  @Field(() => String, { nullable: true, description: 'SINGLE_CHOICE' }) choice!: string | null;
  @Field(() => [String], { nullable: true, description: 'MULTIPLE_CHOICE, in the order of the field\'s choices' }) choices!: string[] | null;
}
