export {
  rectifiedPatch,
  Rectifications,
  type NoticeView,
  type OwnRectification,
  type PreviousValue,
  type RecipientView,
  type RectificationDeps,
  type RectificationInput,
  type RectificationView,
  type SuppliedBy,
} from './service.ts';
