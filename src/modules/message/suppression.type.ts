import { Field, Int, ObjectType } from 'type-graphql';
import { connectionTypes } from '../../graphql/connection.js';
import { EmailSuppressionReason } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: 'An address no email goes to: it bounced for good or its owner reported spam (the mail provider\'s webhook).' })
export class EmailSuppression {
  @Field(() => String, { description: 'Lower-cased.' }) email!: string;
  @Field(() => EmailSuppressionReason) reason!: EmailSuppressionReason;
  @Field(() => String, { nullable: true, description: "The provider's words (diagnostic code, feedback type)." }) detail!: string | null;
  @Field(() => Int, { description: 'Reports received for the address.' }) reports!: number;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
  memberIds!: number[];
}

export const { Conn: EmailSuppressionConnection } = connectionTypes('EmailSuppression', EmailSuppression);
