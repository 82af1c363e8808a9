import { Field, ID, ObjectType } from 'type-graphql';
import { DateTime } from '../../graphql/scalars.js';

@ObjectType({ simpleResolvers: true, description: 'A church: the tenant that owns its members, households and groups.' })
export class Church {
  @Field(() => ID) id!: number;
  @Field(() => String) name!: string;
  @Field(() => String, { description: 'Unique, URL-safe short name.' }) slug!: string;
  @Field(() => String, { description: 'IANA time zone: growth dates and quiet hours use it.' }) timeZone!: string;
  @Field(() => String, { nullable: true, description: 'E.164 number texts are sent from.' })
  smsFromNumber!: string | null;
  @Field(() => String, { nullable: true, description: 'Reply to HELP/INFO texts (a default naming the church when empty).' })
  smsHelpText!: string | null;
  @Field(() => String, { nullable: true, description: "The From name of its emails (the address is the service's EMAIL_FROM); null: the church's name." })
  emailFromName!: string | null;
  @Field(() => String, { nullable: true, description: 'Where replies to its emails go (Reply-To); null: none.' })
  emailReplyTo!: string | null;
  @Field(() => DateTime) createdAt!: Date;
  @Field(() => DateTime) updatedAt!: Date;
}
